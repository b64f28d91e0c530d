"""The model worker process: the only place llama_cpp is imported."""
