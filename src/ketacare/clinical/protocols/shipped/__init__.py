"""The protocols KetaCare ships, one module each (`PROTOCOL`); clinics copy and edit them.
The registry (order and lookup) is `ketacare.clinical.protocols`."""
