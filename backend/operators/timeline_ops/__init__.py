"""The timeline editor's parts; import the public API from `operators.timeline_editor`."""
