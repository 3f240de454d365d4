#!/usr/bin/env python3
"""Reads `perf report --children --sort sym -g none` on stdin and prints the inclusive share of each stage of a
Meshwork unary call, client or server (bench/profile.sh --stages). A stage is named by a substring of its frame; the
first matching line (the largest share) is taken. Shares of nested stages overlap: a stage includes what it calls."""
import re
import sys

STAGES = [
    ("idle thread-pool workers spinning or waiting (LowLevelLifoSemaphore.Wait)", "LowLevelLifoSemaphore::Wait"),
    ("sched_yield system calls (spinning of idle threads, wherever the unwinder lost their callers)", "[k] __x64_sys_sched_yield"),
    ("epoll thread waiting for events", "[.] epoll_wait"),
    ("socket completions on the thread pool (SocketAsyncEngine)", "SocketAsyncEngine::System.Threading.IThreadPoolWorkItem.Execute"),
    ("read loop (ReadLoopAsync)", "FrameConnection+<ReadLoopAsync>"),
    ("  frame parsing (FrameCodec.TryRead)", "FrameCodec::TryRead"),
    ("  server: request dispatch (ServerConnection.Dispatch)", "ServerConnection::Dispatch"),
    ("    request decoding (ServerMethod.TryDecode)", "ServerMethod::TryDecode"),
    ("    call registration and queuing (ServerConnection.Launch)", "ServerConnection::Launch"),
    ("  client: reply handling (UnaryCall.OnResponse)", "UnaryCall`1[System.__Canon]::OnResponse"),
    ("run-queue drainers (RunQueue.Execute)", "RunQueue::System.Threading.IThreadPoolWorkItem.Execute"),
    ("  server: handler and reply (UnaryServerCall.Execute)", "UnaryServerCall`2[System.__Canon,System.__Canon]::Execute"),
    ("    reply encoding and queuing (ServerConnection.Reply)", "ServerConnection::Reply"),
    ("    call removal (ServerConnection.Complete)", "ServerConnection::Complete"),
    ("  client: the load generator's callers (their next call)", "MeshworkEchoClient+<CallAsync>"),
    ("    new call (RpcChannel.UnaryCore)", "RpcChannel::UnaryCore"),
    ("      request encoding and queuing (ClientConnection.SendRequest)", "ClientConnection::SendRequest"),
    ("message (de)serialization, MessagePack (Deserialize)", "MessagePackRpcSerializer::Deserialize"),
    ("socket writes (sendto, with the loopback delivery to the peer)", "[k] __x64_sys_sendto"),
    ("socket reads (recvfrom)", "[k] __x64_sys_recvfrom"),
]

lines = [l for l in sys.stdin if l.strip() and not l.startswith("#")]
for label, needle in STAGES:
    share = None
    for l in lines:
        if needle in l:
            m = re.match(r"\s*([\d.]+)%", l)
            if m:
                share = float(m.group(1))
                break
    print(f"  {share:6.2f} %  {label}" if share is not None else f"     -     {label}")
