from setuptools import find_packages, setup

# The dagster family must move together: integration packages pin dagster exactly.
DAGSTER = "1.13.27"
DAGSTER_LIBS = "0.29.27"

setup(
    name="sales-pipeline",
    version="0.1.0",
    description="S3 landing prefix -> validated Parquet -> Apache Druid, orchestrated by Dagster",
    packages=find_packages(exclude=["sales_pipeline_tests*"]),
    python_requires=">=3.11",
    install_requires=[
        f"dagster=={DAGSTER}",
        f"dagster-webserver=={DAGSTER}",
        f"dagster-graphql=={DAGSTER}",
        f"dagster-aws=={DAGSTER_LIBS}",
        f"dagster-postgres=={DAGSTER_LIBS}",
        "sqlalchemy==2.1.9",
        "psycopg2-binary==2.9.13",
        "pandera[polars]==0.35.0",
        "polars==2.1.0",
        "fastexcel==0.21.0",  # calamine engine for .xlsx / .xls
        "xlsxwriter==3.3.1",  # `generate --format xlsx`
        "numpy>=2.0,<3",  # deterministic generator
        "boto3==1.44.5",
        "moto[server]==5.2.5",  # the embedded local S3 (loopback only)
        "requests==2.34.2",
        "duckdb==2.0.0",  # embedded analytics store
        "pyarrow==26.0.1",  # frame exchange between polars and duckdb
        "streamlit==1.67.0",  # the dashboard (bind="query-params" / persist_state need >= 1.67)
        "altair==6.3.0",  # dashboard charts (accepts Polars frames)
    ],
    extras_require={
        # pandas: the pandas + pandera reference in benchmarks/ (dagster-pandera pins pandas<3)
        "dev": [
            "pytest==9.2.0",
            "pytest-timeout==2.4.0",
            "ruff==0.17.6",
            "xlwt==1.3.0",
            "pandas==2.3.3",
            "playwright==1.65.2",  # browser check with Debian's chromium (never `playwright install`)
        ],
    },
    entry_points={"console_scripts": ["sales-pipeline=sales_pipeline.cli:main"]},
)
