import { ConversationStore, IKeyValueStore, MAX_STORED_MESSAGES } from '../persistence';
import { IChatMessage } from '../types';

class MemoryStore implements IKeyValueStore {
  data = new Map<string, string>();
  getItem(key: string) {
    return this.data.has(key) ? this.data.get(key)! : null;
  }
  setItem(key: string, value: string) {
    this.data.set(key, value);
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
}

const message = (id: string, extra: Partial<IChatMessage> = {}): IChatMessage => ({
  id,
  role: 'assistant',
  content: `answer ${id}`,
  state: 'done',
  ...extra
});

describe('ConversationStore', () => {
  it('keeps conversations per notebook path across instances (a reload)', () => {
    const storage = new MemoryStore();
    new ConversationStore(storage).save('a.ipynb', [message('1')]);
    new ConversationStore(storage).save('b.ipynb', [message('2'), message('3')]);
    const reloaded = new ConversationStore(storage);
    expect(reloaded.load('a.ipynb').map(m => m.id)).toEqual(['1']);
    expect(reloaded.load('b.ipynb').map(m => m.id)).toEqual(['2', '3']);
    expect(reloaded.load('c.ipynb')).toEqual([]);
  });

  it('stores an answer that was still streaming as stopped', () => {
    const storage = new MemoryStore();
    const store = new ConversationStore(storage);
    store.save('a.ipynb', [message('1', { state: 'streaming' })]);
    const [loaded] = store.load('a.ipynb');
    expect(loaded.state).toBe('stopped');
    expect(loaded.note).toMatch(/reloaded/);
  });

  it('drops unreadable data instead of failing', () => {
    const storage = new MemoryStore();
    const store = new ConversationStore(storage);
    storage.setItem(ConversationStore.key('a.ipynb'), '{not json');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(store.load('a.ipynb')).toEqual([]);
    warn.mockRestore();
    storage.setItem(ConversationStore.key('b.ipynb'), JSON.stringify([{ id: 1 }, message('ok')]));
    expect(store.load('b.ipynb').map(m => m.id)).toEqual(['ok']);
  });

  it('keeps only the newest messages', () => {
    const store = new ConversationStore(new MemoryStore());
    const many = Array.from({ length: MAX_STORED_MESSAGES + 5 }, (_, i) => message(String(i)));
    store.save('a.ipynb', many);
    const loaded = store.load('a.ipynb');
    expect(loaded).toHaveLength(MAX_STORED_MESSAGES);
    expect(loaded[0].id).toBe('5');
  });

  it('moves a conversation when its notebook is renamed, and clears it', () => {
    const store = new ConversationStore(new MemoryStore());
    store.save('old.ipynb', [message('1')]);
    store.rename('old.ipynb', 'new.ipynb');
    expect(store.load('old.ipynb')).toEqual([]);
    expect(store.load('new.ipynb').map(m => m.id)).toEqual(['1']);
    store.clear('new.ipynb');
    expect(store.load('new.ipynb')).toEqual([]);
  });

  it('survives a full storage', () => {
    const storage = new MemoryStore();
    storage.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(() => new ConversationStore(storage).save('a.ipynb', [message('1')])).not.toThrow();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('keys conversations by server: the same path on two base URLs never mixes', () => {
    const storage = new MemoryStore();
    const alice = new ConversationStore(storage, '/user/alice/');
    const bob = new ConversationStore(storage, '/user/bob/');
    alice.save('a.ipynb', [message('alice')]);
    bob.save('a.ipynb', [message('bob')]);
    expect(alice.load('a.ipynb').map(m => m.id)).toEqual(['alice']);
    expect(bob.load('a.ipynb').map(m => m.id)).toEqual(['bob']);
    bob.clear('a.ipynb');
    expect(alice.load('a.ipynb').map(m => m.id)).toEqual(['alice']);
    alice.rename('a.ipynb', 'b.ipynb');
    expect(bob.load('b.ipynb')).toEqual([]);
    expect(ConversationStore.key('a.ipynb', '/user/alice/')).not.toBe(
      ConversationStore.key('a.ipynb', '/user/bob/')
    );
  });

  it('keys are unambiguous when a path or base holds the separator', () => {
    expect(ConversationStore.key('b","c', 'a')).not.toBe(ConversationStore.key('c', 'a","b'));
  });

  it('moves a conversation saved under the path alone to the first server that opens it', () => {
    const storage = new MemoryStore();
    storage.setItem(ConversationStore.legacyKey('a.ipynb'), JSON.stringify([message('old')]));
    const alice = new ConversationStore(storage, '/user/alice/');
    expect(alice.load('a.ipynb').map(m => m.id)).toEqual(['old']);
    expect(storage.getItem(ConversationStore.legacyKey('a.ipynb'))).toBeNull();
    expect(new ConversationStore(storage, '/user/bob/').load('a.ipynb')).toEqual([]);
    expect(alice.load('a.ipynb').map(m => m.id)).toEqual(['old']);
  });
});
