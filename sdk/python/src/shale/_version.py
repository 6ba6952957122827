"""The SDK version; it follows the Shale project version."""
VERSION = "0.1.0"
