"""(being written) Reader module: education."""
