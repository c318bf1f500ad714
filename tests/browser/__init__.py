"""Browser smoke tests: the served app in Debian's headless Chromium (all marked ``browser``)."""
