"""CloudWatch embedded metric format (EMF): metrics carried in log lines, as CloudWatch Logs
extracts them on AWS. Pure logic, no LocalStack imports; ``emf_hook`` wires it into LocalStack.

A line is an EMF document when it holds a JSON object with ``_aws.CloudWatchMetrics``: a list of
directives, each with a ``Namespace``, ``Dimensions`` (sets of keys) and ``Metrics`` (name, unit),
the values and dimension values being top-level keys of the same object. Powertools Metrics
writes exactly that. A Lambda log line may carry a prefix (time, request id, level) before the
JSON, so the object is looked for from the first ``{``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone


def _document(line: str) -> dict | None:
    start = line.find("{")
    if start < 0 or '"_aws"' not in line:
        return None
    try:
        parsed = json.loads(line[start:])
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    metadata = parsed.get("_aws")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("CloudWatchMetrics"), list):
        return None
    return parsed


def metric_data_from_line(line: str) -> list[tuple[str, list[dict]]]:
    """``[(namespace, MetricData for PutMetricData)]`` of one log line (empty if it is no EMF)."""
    document = _document(line)
    if document is None:
        return []
    timestamp_ms = document["_aws"].get("Timestamp")
    timestamp = (
        datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc)
        if isinstance(timestamp_ms, (int, float))
        else None
    )
    out: list[tuple[str, list[dict]]] = []
    for directive in document["_aws"]["CloudWatchMetrics"]:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str):
            continue
        dimension_sets = directive.get("Dimensions") or [[]]
        data: list[dict] = []
        for metric in directive.get("Metrics") or []:
            name = metric.get("Name")
            value = document.get(name)
            values = value if isinstance(value, list) else [value]
            values = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if not name or not values:
                continue
            for keys in dimension_sets:
                dimensions = [
                    {"Name": key, "Value": str(document[key])} for key in keys if key in document
                ]
                datum = {"MetricName": name, "Dimensions": dimensions, "Values": values}
                if metric.get("Unit"):
                    datum["Unit"] = metric["Unit"]
                if metric.get("StorageResolution") == 1:
                    datum["StorageResolution"] = 1
                if timestamp is not None:
                    datum["Timestamp"] = timestamp
                data.append(datum)
        if data:
            out.append((namespace, data))
    return out


def _series_key(datum: dict) -> tuple:
    timestamp = datum.get("Timestamp")
    second = int(timestamp.timestamp()) if isinstance(timestamp, datetime) else None
    dimensions = tuple(sorted((d["Name"], d["Value"]) for d in datum.get("Dimensions") or []))
    return (datum["MetricName"], dimensions, datum.get("Unit"), datum.get("StorageResolution"), second)


def merge_metric_data(data: list[dict]) -> list[dict]:
    """One datum per metric, dimensions, unit, resolution and second, its values and counts summed up.

    CloudWatch keeps data points at one-second precision, so merging them loses nothing a query
    can see, and LocalStack's CloudWatch writes (and commits) each datum on its own: fewer datums
    is what makes publishing cheap. The first datum of a series keeps its place.
    """
    merged: dict[tuple, dict] = {}
    for datum in data:
        key = _series_key(datum)
        values = list(datum.get("Values") or ([datum["Value"]] if "Value" in datum else []))
        counts = list(datum.get("Counts") or [1] * len(values))
        target = merged.get(key)
        if target is None:
            target = {k: v for k, v in datum.items() if k not in ("Value", "Values", "Counts")}
            target["Values"], target["Counts"] = [], []
            merged[key] = target
        for value, count in zip(values, counts):
            target["Values"].append(value)
            target["Counts"].append(count)
    return list(merged.values())
