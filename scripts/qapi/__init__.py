# tern QAPI generator package: schema parser, checker and C/Markdown back ends.
