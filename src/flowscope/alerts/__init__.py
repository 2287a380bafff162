"""Alerts that reach someone: rules from ``FLOWSCOPE["ALERT_RULES"]`` are evaluated on each
committed batch (a sink of the recorder, off the request path), a firing is claimed in the
store so that a storm sends one message per cooldown across processes, and the message is
sent by e-mail and webhook from a thread of its own."""
