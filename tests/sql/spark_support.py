"""A local Spark session and screening frames as Spark tables, for the Spark parity test."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def local_session() -> Any:
    """One local Spark session (one core, no UI, loopback only)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[1]").appName("thesis-lib-parity")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate())


def spark_table(spark: Any, frame: pd.DataFrame, name: str) -> None:
    """Register ``frame`` (index and columns) as the temporary view ``name``, with an
    explicit schema: doubles (NaN and infinities kept, as pandas holds them), booleans and
    text (None where missing)."""
    from pyspark.sql import types

    flat = frame.reset_index()
    fields, converters = [], []
    for column in flat.columns:
        series = flat[column]
        if pd.api.types.is_bool_dtype(series):
            fields.append(types.StructField(str(column), types.BooleanType(), True))
            converters.append(lambda v: None if v is None or v is pd.NA else bool(v))
        elif pd.api.types.is_numeric_dtype(series):
            fields.append(types.StructField(str(column), types.DoubleType(), True))
            converters.append(lambda v: None if v is None or v is pd.NA else float(v))
        elif pd.api.types.is_datetime64_any_dtype(series):
            fields.append(types.StructField(str(column), types.TimestampType(), True))
            converters.append(lambda v: None if pd.isna(v) else pd.Timestamp(v).to_pydatetime())
        else:
            fields.append(types.StructField(str(column), types.StringType(), True))
            converters.append(lambda v: v if isinstance(v, str) else None)
    rows = [tuple(convert(v) for convert, v in zip(converters, row, strict=True))
            for row in flat.astype(object).itertuples(index=False, name=None)]
    spark.createDataFrame(rows, types.StructType(fields)).createOrReplaceTempView(name)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
