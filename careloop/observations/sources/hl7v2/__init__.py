"""HL7 v2.x in: decoding (bytes -> text), messages (text -> records: header.py, segments.py, timestamps.py,
patient.py for PID, results.py for ORU, encounters.py for ADT), ack (the answer, with repeats.py's
warnings), mllp (transport: framing.py, limits.py, peers.py, tls.py).

The Django side (management/commands/mllp.py) receives with:

    from careloop.observations.sources.hl7v2 import ack, mllp
    mllp.serve("0.0.0.0", 2575, lambda raw, peer: ack.respond(raw, run_pipeline), limits=..., allowlist=...)

where run_pipeline(ParseResult) stores what it can and returns the Problems it refused.
Files: `messages.parse_file(data)`, or `decoding.decode_file` + `messages.parse_message` to see
character-set notes. Pure: no Django import in this package.
"""
