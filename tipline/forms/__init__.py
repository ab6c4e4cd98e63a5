"""What a tipster may send, validated where it enters: a channel's tip form built from its
fields, the receipt and reply forms, the leave-out choice and the insider token field.

Shared by the tipster pages (intake), the JSON API and the form editor's preview, so that all
three accept exactly the same input. Built on core (channels, fields, submission limits) and
insider (token checks); knows nothing of requests or pages.
"""
