"""A service that attacks the gate running it (tests/test_hostile.py). MODE picks the attack; what it
managed is written as JSON lines to $NOTES/<mode>.json (a folder any uid may write).

- spy:    at start-up, reads every /proc/<pid>/environ it can (the gate's holds the runner's secrets),
          appends to $GATE_FILE (a file of the gate's), finds listening ports in /proc/net/tcp and sends
          ListTables to each with its own credentials (DynamoDB Local past the recorder).
- crash:  POST /items exits the process when the body carries a field the route does not declare.
- daemon: at start-up, a double-forked setsid grandchild that sleeps 600 s.
- tired:  exits on its own shortly after answering its 15th request (not killed by any one probe).
"""

import json
import os
import threading
import time
import uuid

import boto3
import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from pydantic import BaseModel

MODE = os.environ.get("MODE", "")
NOTES = os.environ.get("NOTES", ".")
app = FastAPI()
items = boto3.resource("dynamodb").Table("items")


def note(**kw: object) -> None:
    with open(os.path.join(NOTES, f"{MODE}.json"), "a") as fh:
        fh.write(json.dumps(kw) + "\n")


def _listening_ports() -> set[int]:
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A":  # LISTEN
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


if MODE == "spy":
    secrets_seen = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    env = fh.read()
            except OSError:
                continue
            if b"AUTHGATE_TEST_SECRET=" in env:
                secrets_seen.append(int(pid))
    try:
        with open(os.environ["GATE_FILE"], "a") as fh:
            fh.write("tampered\n")
        wrote = True
    except OSError:
        wrote = False
    tables = {}
    # through the recorder first: it holds the call until the gate has seeded the tables, so DynamoDB Local
    # listens by then (it boots while the service starts, and a spy scanning ports at once would find none)
    boto3.client("dynamodb").list_tables()
    for port in sorted(_listening_ports()):
        client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}")
        try:
            tables[port] = client.list_tables()["TableNames"]
        except Exception:
            continue
    note(
        uid=os.getuid(),
        environ_with_secret=secrets_seen,
        wrote_gate_file=wrote,
        own_env=sorted(k for k in os.environ if k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_", "AUTHGATE_"))),
        tables_by_port={str(k): v for k, v in tables.items()},
        recorder=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
    )

if MODE == "daemon" and os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        note(daemon=os.getpid())
        time.sleep(600)
    os._exit(0)


def user(authorization: str = Header(default="")) -> dict:
    token = authorization.partition(" ")[2]
    try:
        return jwt.decode(token, os.environ["JWT_SECRET"], algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None


CALLER = Depends(user)
served = 0


@app.middleware("http")
async def count(request: Request, call_next):
    global served
    response = await call_next(request)
    served += 1
    if MODE == "tired" and served == 15:
        threading.Timer(0.05, os._exit, (1,)).start()  # NOT OK: the service stops in the middle of the scan
    return response


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.get("/items/{owner_id}/{item_id}")
def get_item(owner_id: str, item_id: str, u: dict = CALLER) -> dict:
    if u["sub"] != owner_id:  # OK: the owner comes from the verified token
        raise HTTPException(403, "forbidden")
    found = items.get_item(Key={"owner_id": owner_id, "item_id": item_id}).get("Item")
    if not found:
        raise HTTPException(404, "not found")
    return found


class ItemIn(BaseModel):
    body: str


@app.post("/items")
async def create(item: ItemIn, request: Request, u: dict = CALLER) -> dict:
    body = await request.json()
    if MODE == "crash" and isinstance(body, dict) and set(body) - {"body"}:
        note(crashed_on=sorted(body))
        os._exit(1)  # NOT OK: one request stops the whole service
    new = {"owner_id": u["sub"], "item_id": uuid.uuid4().hex, "body": item.body}
    items.put_item(Item=new)
    return {"item_id": new["item_id"]}
