#!/usr/bin/env python3
"""Does a moto_server let two concurrent conditional writes to one DynamoDB
item both succeed, or hand one SQS message to two concurrent receives?

Real DynamoDB evaluates a ConditionExpression and applies the write as one
atomic step, and SQS hides a received message from every other receive; a
docpipe claim (a conditional UpdateItem on the record's revision) relies on
the first. This script races THREADS clients ROUNDS times against the server
at ENDPOINT (e.g. one started by `python3 -m moto.server -p PORT`):

  dynamodb: one item at revision 0; every thread, released together, sends
            UpdateItem SET owner = <thread>, revision = 1 IF revision = 0.
            At most one may succeed.
  sqs:      one message; every thread, released together, receives with a
            visibility timeout of 60 s. At most one may get it.

Usage: moto_race.py ENDPOINT [ROUNDS=50] [THREADS=8]
Prints the rounds with more than one winner and exits 1 if there was any.
"""
import sys
import threading
import uuid

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 50
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 8
config = Config(retries={"max_attempts": 1}, max_pool_connections=threads * 2)
session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name="us-east-1")


def client(service):
    return session.client(service, endpoint_url=endpoint, config=config)


def race(work):
    """Runs work(i) on `threads` threads released at once; returns the results."""
    barrier = threading.Barrier(threads)
    results = [None] * threads

    def run(i):
        barrier.wait()
        results[i] = work(i)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results


def dynamodb_rounds():
    ddb = client("dynamodb")
    table = "race-" + uuid.uuid4().hex[:8]
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    clients = [client("dynamodb") for _ in range(threads)]
    doubled = 0
    for r in range(rounds):
        key = {"id": {"S": f"doc-{r}"}}
        ddb.put_item(TableName=table, Item={**key, "revision": {"N": "0"}, "owner": {"S": ""}})

        def claim(i):
            try:
                clients[i].update_item(
                    TableName=table, Key=key, UpdateExpression="SET #o = :me, #r = :next",
                    ConditionExpression="#r = :expected",
                    ExpressionAttributeNames={"#o": "owner", "#r": "revision"},
                    ExpressionAttributeValues={":me": {"S": f"worker-{i}"}, ":next": {"N": "1"},
                                               ":expected": {"N": "0"}})
                return True
            except clients[i].exceptions.ConditionalCheckFailedException:
                return False

        winners = sum(race(claim))
        stored = ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        if winners != 1:
            doubled += winners > 1
            print(f"dynamodb round {r}: {winners} conditional writes succeeded; "
                  f"the item holds owner {stored['owner']['S']}, revision {stored['revision']['N']}")
    return doubled


def sqs_rounds():
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="race-" + uuid.uuid4().hex[:8])["QueueUrl"]
    clients = [client("sqs") for _ in range(threads)]
    doubled = 0
    for r in range(rounds):
        sqs.send_message(QueueUrl=url, MessageBody=f"message {r}")

        def receive(i):
            got = clients[i].receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60,
                                             WaitTimeSeconds=0)
            return [m["Body"] for m in got.get("Messages", [])]

        results = race(receive)
        receivers = sum(1 for got in results if got)
        if receivers != 1:
            doubled += receivers > 1
            print(f"sqs round {r}: {receivers} receives got the one message")
        # Delete what was handed out so the next round starts empty.
        while True:
            left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
            if not left:
                break
            for m in left:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        sqs.purge_queue(QueueUrl=url)
    return doubled


d = dynamodb_rounds()
s = sqs_rounds()
print(f"{endpoint}: {rounds} rounds x {threads} threads: dynamodb rounds with more than one winning "
      f"conditional write: {d}; sqs rounds with one message received more than once: {s}")
sys.exit(1 if d or s else 0)
