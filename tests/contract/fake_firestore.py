"""An in-process gRPC fake of google.firestore.v1.Firestore: documents, Commit with
preconditions, BatchGetDocuments. Enough for the lease store, as strict as the real service on
what it covers (the rules below cite Firestore's v1 API reference, firestore.proto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.cloud.firestore_v1 import types

from tests.contract.grpc_fake import GrpcFake, Handler


class FakeFirestore(GrpcFake):
    """Documents by full name; every write gets a strictly increasing update_time."""

    service_name = "google.firestore.v1.Firestore"

    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[str, types.Document] = {}
        self._last = datetime.now(UTC)

    def methods(self) -> dict[str, tuple[Handler, Any, Any]]:
        return {
            "Commit": (
                self._commit,
                types.CommitRequest.deserialize,
                types.CommitResponse.serialize,
            )
        }

    def streaming_methods(self) -> dict[str, tuple[Handler, Any, Any]]:
        return {
            "BatchGetDocuments": (
                self._batch_get,
                types.BatchGetDocumentsRequest.deserialize,
                types.BatchGetDocumentsResponse.serialize,
            )
        }

    def _tick(self) -> datetime:
        now = max(datetime.now(UTC), self._last + timedelta(microseconds=1))
        self._last = now
        return now

    def _batch_get(
        self, request: types.BatchGetDocumentsRequest, context: grpc.ServicerContext
    ) -> Iterator[types.BatchGetDocumentsResponse]:
        with self.lock:
            read_time = self._tick()
            found = {name: self.documents.get(name) for name in request.documents}
        for name, document in found.items():
            if document is None:
                yield types.BatchGetDocumentsResponse(missing=name, read_time=read_time)
            else:
                yield types.BatchGetDocumentsResponse(found=document, read_time=read_time)

    def _commit(self, request: types.CommitRequest, context: grpc.ServicerContext) -> Any:
        with self.lock:
            staged = dict(self.documents)
            commit_time = self._tick()
            results = []
            for write in request.writes:
                name = write.delete or write.update.name
                self._check(write, staged.get(name), name, context)
                if write.delete:
                    staged.pop(name, None)
                    results.append(types.WriteResult())
                    continue
                document = self._apply(write, staged.get(name), commit_time)
                staged[name] = document
                results.append(types.WriteResult(update_time=commit_time))
            self.documents = staged  # all writes of a commit apply, or none (atomic)
        return types.CommitResponse(write_results=results, commit_time=commit_time)

    @staticmethod
    def _check(write: types.Write, current: types.Document | None, name: str, context: Any) -> None:
        """Precondition.exists false on an existing document: ALREADY_EXISTS (create); exists
        true or update_time on a missing one: NOT_FOUND; an update_time that differs:
        FAILED_PRECONDITION."""
        condition = write.current_document
        if "exists" in condition:
            if condition.exists and current is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"No document to update: {name}")
            if not condition.exists and current is not None:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, f"Document already exists: {name}")
        if "update_time" in condition:
            if current is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"No document to update: {name}")
            if current.update_time != condition.update_time:
                context.abort(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    "the stored version does not match the required base version",
                )

    @staticmethod
    def _apply(
        write: types.Write, current: types.Document | None, commit_time: datetime
    ) -> types.Document:
        fields = dict(current.fields) if current is not None else {}
        if "update_mask" in write:
            for path in write.update_mask.field_paths:
                if path in write.update.fields:
                    fields[path] = write.update.fields[path]
                else:
                    fields.pop(path, None)
        else:
            fields = dict(write.update.fields)
        created = current.create_time if current is not None else commit_time
        return types.Document(
            name=write.update.name, fields=fields, create_time=created, update_time=commit_time
        )
