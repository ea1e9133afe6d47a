"""Shared machinery for in-process gRPC fakes: a server, call counting and fault injection."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc

Handler = Callable[[Any, grpc.ServicerContext], Any]


class GrpcFake:
    """Serves unary methods of one gRPC service on 127.0.0.1 with proto-plus (de)serialisers."""

    service_name = ""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self._faults: deque[tuple[str, grpc.StatusCode]] = deque()
        self._server: grpc.Server | None = None
        self.address = ""

    def methods(self) -> dict[str, tuple[Handler, Callable[[bytes], Any], Callable[[Any], bytes]]]:
        """method name -> (handler, request deserialiser, response serialiser)."""
        raise NotImplementedError

    def streaming_methods(
        self,
    ) -> dict[str, tuple[Handler, Callable[[bytes], Any], Callable[[Any], bytes]]]:
        """Server-streaming methods: the handler returns an iterable of responses."""
        return {}

    def inject(self, method: str, code: grpc.StatusCode, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail with ``code``."""
        with self.lock:
            self._faults.extend([(method, code)] * times)

    def _wrap(self, method: str, handler: Handler) -> Handler:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            with self.lock:
                self.calls[method] += 1
                fault = next((f for f in self._faults if f[0] == method), None)
                if fault is not None:
                    self._faults.remove(fault)
            if fault is not None:
                context.abort(fault[1], f"injected {fault[1].name}")
            return handler(request, context)

        return call

    def start(self) -> str:
        handlers = {
            name: grpc.unary_unary_rpc_method_handler(
                self._wrap(name, handler),
                request_deserializer=deserialize,
                response_serializer=serialize,
            )
            for name, (handler, deserialize, serialize) in self.methods().items()
        }
        for name, (handler, deserialize, serialize) in self.streaming_methods().items():
            handlers[name] = grpc.unary_stream_rpc_method_handler(
                self._wrap(name, handler),
                request_deserializer=deserialize,
                response_serializer=serialize,
            )
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(self.service_name, handlers),)
        )
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server = server
        self.address = f"127.0.0.1:{port}"
        return self.address

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None
