"""(being written) Reader module: gtmi."""
