"""Tasks as plugins: expression recognition, AU detection and expression transfer
(`ferbench.tasks.base` holds the contract)."""
