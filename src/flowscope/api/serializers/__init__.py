"""The API's own serializers, one module per resource. The shapes shared with the
WebSockets (workflow, step, performance rollup) are in ``flowscope.wire``; the requests that
define a manual test are validated by ``flowscope.manual_testing.serializers``, next to the
definitions they check."""
