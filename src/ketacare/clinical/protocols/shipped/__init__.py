"""The protocols KetaCare ships, one module each defining `PROTOCOL`, with the source of
every number next to it; `common` holds the citations and check notes several share.
Adding one is a module here and its place in the registry's order
(`ketacare.clinical.protocols.DEFAULT_PROTOCOLS`). Clinics copy and edit them."""
