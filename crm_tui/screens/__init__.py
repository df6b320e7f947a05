"""One Textual screen per module of the console. UI only: services run in thread workers."""
