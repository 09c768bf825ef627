#!/usr/bin/python3
"""A kubelet's side of the CRI, cut down to one call per run: tests/e2e/cri_test.sh's client.

    cri_client.py gen STUB_DIR
        generate the Python stubs of runtime_v1_subset.proto into STUB_DIR (grpc_tools.protoc)
    cri_client.py call STUB_DIR SOCKET METHOD [REQUEST_JSON]
        call runtime.v1.RuntimeService/METHOD on the unix socket SOCKET with the request given in
        protobuf's JSON form (field names as in the .proto, e.g. pod_sandbox_id); print the
        response as JSON (bytes fields of ExecSync decoded as UTF-8 text).
        A gRPC error prints "rpc error: code = CODE desc = DETAILS" on stderr, spelled as
        grpc-go spells it (what kubelet puts in a pod's events), and exits 1.

Needs Debian's python3-grpcio and python3-grpc-tools (tools/install-deps.sh).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = "runtime_v1_subset.proto"
TIMEOUT = float(os.environ.get("CRI_CALL_TIMEOUT", "120"))


def generate(stub_dir):
    from grpc_tools import protoc
    os.makedirs(stub_dir, exist_ok=True)
    rc = protoc.main(["protoc", "-I" + HERE, "--python_out=" + stub_dir,
                      "--grpc_python_out=" + stub_dir, os.path.join(HERE, PROTO)])
    if rc != 0:
        sys.stderr.write("cri_client: protoc failed (%d)\n" % rc)
    return rc


def go_code(code):
    """The status code as grpc-go spells it (codes.Code.String()), as kubelet's events show it:
    UNKNOWN -> Unknown, NOT_FOUND -> NotFound, OK -> OK."""
    if code.name == "OK":
        return "OK"
    return "".join(word.capitalize() for word in code.name.split("_"))


def call(stub_dir, socket, method, request_json):
    sys.path.insert(0, stub_dir)
    import grpc
    from google.protobuf import json_format
    import runtime_v1_subset_pb2 as pb
    import runtime_v1_subset_pb2_grpc as pb_grpc

    request_type = getattr(pb, method + "Request", None)
    if request_type is None:
        sys.stderr.write("cri_client: no method %s in %s\n" % (method, PROTO))
        return 2
    request = json_format.Parse(request_json or "{}", request_type())
    with grpc.insecure_channel("unix://" + socket) as channel:
        stub = pb_grpc.RuntimeServiceStub(channel)
        try:
            response = getattr(stub, method)(request, timeout=TIMEOUT)
        except grpc.RpcError as err:
            sys.stderr.write("rpc error: code = %s desc = %s\n" % (go_code(err.code()), err.details()))
            return 1
    out = json_format.MessageToDict(response, preserving_proto_field_name=True,
                                    including_default_value_fields=True)
    if method == "ExecSync":  # bytes come back base64-encoded: show them as the text they are
        out["stdout"] = response.stdout.decode("utf-8", "replace")
        out["stderr"] = response.stderr.decode("utf-8", "replace")
    print(json.dumps(out, sort_keys=True))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "gen":
        return generate(argv[2])
    if len(argv) in (5, 6) and argv[1] == "call":
        return call(argv[2], argv[3], argv[4], argv[5] if len(argv) == 6 else "{}")
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
