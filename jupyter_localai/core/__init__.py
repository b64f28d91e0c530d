"""The assistant's core: tasks, prompts, reply parsing and checks. Imports nothing from Jupyter."""
