"""Server side: the jupyter_server extension that owns the resident model."""
