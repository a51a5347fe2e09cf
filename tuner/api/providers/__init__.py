"""The services behind the seam, one package each: the only code that imports an SDK.

`openai/` drives the official openai SDK (OpenAI, Azure OpenAI and compatible hosts) and
`together/` the official together SDK. Each holds its client, its conversions to tuner's own
types, its error translation and its uploads; `tuner.api.open` picks one from a profile.
"""
