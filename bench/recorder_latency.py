"""The recorder's added latency per DynamoDB call: the same GetItem/Query/PutItem mix, direct vs recorded.

Starts the real DynamoDB Local and the recorder (in this process, as in a scan), then runs the calls
from a separate Python process (as the service under test would: its own boto3 client and GIL),
alternating blocks of direct and recorded calls so drift on a shared machine hits both alike.
Prints median and p95 per call for both paths and the difference.

    .venv/bin/python bench/recorder_latency.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gate.dynamo import local
from gate.dynamo.client import dynamodb_client
from gate.dynamo.recorder import Recorder

TABLE = "bench_latency"

# The client side: one boto3 client per endpoint, blocks of calls, per-call wall time in ms as JSON.
CLIENT = r"""
import json, sys, time
import boto3
direct, recorded, calls, block = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def client(url):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="authgate", aws_secret_access_key="authgate")
clients = {"direct": client(direct), "recorded": client(recorded)}
def one(c, i):
    k = {"pk": {"S": f"user-{i % 20}"}}
    if i % 3 == 0:
        c.get_item(TableName="bench_latency", Key=k)
    elif i % 3 == 1:
        c.query(TableName="bench_latency", KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": k["pk"]})
    else:
        c.put_item(TableName="bench_latency", Item={**k, "n": {"N": str(i)}})
for c in clients.values():  # warm up: connections, botocore's endpoint and model caches
    for i in range(30):
        one(c, i)
out = {"direct": [], "recorded": []}
done = 0
while done < calls:
    for name, c in clients.items():
        for i in range(done, done + block):
            t0 = time.perf_counter()
            one(c, i)
            out[name].append((time.perf_counter() - t0) * 1000)
    done += block
print(json.dumps(out))
"""


def _stats(ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(ms, n=100)
    return statistics.median(ms), cuts[94]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000, help="calls per path (at least 1000)")
    ap.add_argument("--block", type=int, default=100, help="calls per alternating block")
    args = ap.parse_args()
    if args.calls < 1000:
        ap.error("--calls: at least 1000")
    ddb = local.start()
    rec = Recorder(ddb.endpoint, lanes=1)
    try:
        [recorded] = rec.start()
        admin = dynamodb_client(ddb.endpoint)
        admin.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        p = subprocess.run(
            [sys.executable, "-c", CLIENT, ddb.endpoint, recorded, str(args.calls), str(args.block)],
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
            check=False,
        )
        if p.returncode != 0:
            print(f"bench client failed: {p.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 2
        data = json.loads(p.stdout)
    finally:
        rec.stop()
        ddb.stop()
    d_med, d_p95 = _stats(data["direct"])
    r_med, r_p95 = _stats(data["recorded"])
    seen = len(rec.calls)
    print(f"calls per path: {len(data['direct'])} (GetItem/Query/PutItem mix), recorder saw {seen}")
    print(f"direct    median {d_med:6.2f} ms   p95 {d_p95:6.2f} ms")
    print(f"recorded  median {r_med:6.2f} ms   p95 {r_p95:6.2f} ms")
    print(f"added     median {r_med - d_med:6.2f} ms   p95 {r_p95 - d_p95:6.2f} ms per DynamoDB call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
