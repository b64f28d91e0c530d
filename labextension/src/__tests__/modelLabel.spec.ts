import { modelLabel } from '../modelLabel';

describe('modelLabel', () => {
  it('keeps registry names plain', () => {
    expect(
      modelLabel({
        name: 'qwen2.5-coder-0.5b',
        source: 'registry',
        size_bytes: 491400064,
        available: true
      })
    ).toBe('qwen2.5-coder-0.5b');
  });

  it('says where a discovered file was found and its size', () => {
    expect(
      modelLabel({
        name: 'ollama:qwen2.5-coder:0.5b',
        source: 'ollama',
        size_bytes: 491400064,
        header_ok: true,
        available: true
      })
    ).toBe('ollama:qwen2.5-coder:0.5b (ollama, 469 MiB)');
    expect(
      modelLabel({ name: 'big.gguf', source: 'models_dir', size_bytes: 3 * 2 ** 30 })
    ).toBe('big.gguf (models_dir, 3.0 GiB)');
  });

  it('marks a file that fails the header check', () => {
    expect(
      modelLabel({
        name: 'hf:org/Broken-GGUF/broken.gguf',
        source: 'hf',
        size_bytes: 200,
        header_ok: false,
        available: false
      })
    ).toBe('hf:org/Broken-GGUF/broken.gguf (hf, <1 MiB, fails the header check)');
    expect(modelLabel({ name: 'qwen2.5-coder-1.5b', available: false })).toBe(
      'qwen2.5-coder-1.5b (not available)'
    );
  });
});
