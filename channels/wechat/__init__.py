"""The WeChat Official Account (服务号) channel: callback, API client, numbered choices, handler and sender.

The callback hands each message to the handler (``adapter.WeChatAdapter``), which talks to the conversation
service; ``sender.WeChatSender`` delivers outbox notices; ``bootstrap.build_wechat`` wires it all. docs/wechat.md.
"""

CHANNEL = "wechat"
