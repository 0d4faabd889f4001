"""Development scripts (lock check, notebook hygiene); not part of the egovlib package."""
