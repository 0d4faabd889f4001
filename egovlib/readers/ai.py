"""(being written) Reader module: ai."""
