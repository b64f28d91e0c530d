"""Kernel side: magics, context collection, display. Never imports llama_cpp or tornado."""
