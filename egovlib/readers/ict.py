"""(being written) Reader module: ict."""
