"""ganforge.testing: the test kit for plugin authors."""
