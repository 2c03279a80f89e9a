"""The WeChat Official Account (服务号) channel: callback, API client, numbered choices.

What is here does not depend on the conversation service: the callback hands each message to an injected
``handler(event) -> list[str]`` and answers within WeChat's five seconds. docs/wechat.md says how to connect it.
"""
