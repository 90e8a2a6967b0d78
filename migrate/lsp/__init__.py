"""The editor front door (``migrate lsp``): a language server over stdio.

``document.py`` holds what the server knows about one open file and computes diagnostics
and edits with the engine (``migrate_text``, the function ``migrate convert`` uses); it
needs only lsprotocol's types. ``server.py`` wires it to pygls.
"""
