"""Agent mode (`%%ai agent`): a short plan, then cells rehearsed step by step in a guarded
forked copy of the kernel, applied to the notebook only when the user accepts them."""
