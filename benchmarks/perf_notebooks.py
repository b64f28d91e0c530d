"""Synthetic notebooks for the performance benchmark: realistic pandas/numpy cells, run for real.

`notebook_cells(n)` is deterministic (seeded data, fixed templates), so two runs benchmark
the same notebook. Every notebook defines exactly the 20 variables of `VARIABLES` in its
first cells; the remaining cells analyse, display and reassign them (no new names), as a
data notebook does after its setup. The questions are what a user asks of such a notebook.
"""

from __future__ import annotations

VARIABLES = (
    "rng", "sales", "customers", "products", "regions", "monthly", "by_region",
    "top_customers", "prices", "quantities", "revenue", "matrix", "corr", "returns",
    "daily", "weights", "scores", "thresholds", "report", "merged",
)  # fmt: skip

SETUP_CELLS = (
    "import numpy as np\nimport pandas as pd\n\nrng = np.random.default_rng(42)",
    ("regions = ['north', 'south', 'east', 'west']\n"
    "products = pd.DataFrame({\n"
    "    'product_id': range(1, 41),\n"
    "    'category': rng.choice(['tools', 'garden', 'kitchen', 'toys'], 40),\n"
    "    'list_price': rng.uniform(2, 120, 40).round(2),\n"
    "})\nproducts.head()"),
    ("customers = pd.DataFrame({\n"
    "    'customer_id': range(1, 301),\n"
    "    'segment': rng.choice(['retail', 'business', 'education'], 300),\n"
    "    'region': rng.choice(regions, 300),\n"
    "    'signup': pd.date_range('2021-01-01', periods=300, freq='3D'),\n"
    "})\ncustomers.describe(include='all').T.head()"),
    ("sales = pd.DataFrame({\n"
    "    'order_id': range(1, 5001),\n"
    "    'customer_id': rng.integers(1, 301, 5000),\n"
    "    'product_id': rng.integers(1, 41, 5000),\n"
    "    'units': rng.integers(1, 12, 5000),\n"
    "    'date': pd.to_datetime('2023-01-01') + pd.to_timedelta(rng.integers(0, 365, 5000), unit='D'),\n"
    "})\n"
    "sales = sales.merge(products[['product_id', 'list_price']], on='product_id')\n"
    "sales['price'] = (sales['list_price'] * rng.uniform(0.8, 1.0, len(sales))).round(2)\n"
    "sales.info()"),
    ("prices = sales['price'].to_numpy()\nquantities = sales['units'].to_numpy()\n"
    "revenue = prices * quantities\nprint(revenue.sum().round(2), revenue.mean().round(2))"),
    ("merged = sales.merge(customers, on='customer_id', how='left')\n"
    "merged['revenue'] = merged['price'] * merged['units']\n"
    "by_region = merged.groupby('region')['revenue'].sum().sort_values(ascending=False)\n"
    "by_region"),
    ("monthly = merged.set_index('date').resample('MS')['revenue'].sum()\n"
    "daily = merged.groupby('date')['revenue'].sum()\n"
    "returns = daily.pct_change().dropna()\nmonthly.tail()"),
    ("top_customers = (merged.groupby('customer_id')['revenue'].sum()\n"
    "                 .nlargest(10).reset_index())\n"
    "matrix = rng.normal(size=(200, 6))\n"
    "weights = np.linspace(0.5, 1.5, 6)\n"
    "scores = matrix @ weights\n"
    "corr = np.corrcoef(matrix, rowvar=False).round(3)\n"
    "thresholds = {'low': 50.0, 'high': 400.0}\n"
    "report = {'orders': len(sales), 'customers': sales['customer_id'].nunique()}\n"
    "top_customers.head()"),
)

# Analysis cells, cycled after the setup; `{i}` varies parameters so no two cells are equal.
ANALYSIS_TEMPLATES = (
    "merged[merged['units'] > {m7}]['region'].value_counts()",
    "monthly.rolling({w}).mean().round(2).tail(3)",
    ("by_region = merged.groupby('region')['revenue'].sum().sort_values(ascending=False)\n"
    "by_region.head({k})"),
    "merged.groupby(['segment', 'region'])['units'].agg(['sum', 'mean']).round(2).head({k})",
    ("top_customers = (merged.groupby('customer_id')['revenue'].sum()\n"
    "                 .nlargest({n}).reset_index())\ntop_customers.tail(3)"),
    "scores = matrix @ (weights * {f})\nprint(scores.mean().round(3), scores.std().round(3))",
    "returns.describe().round(4)",
    "report['share_above_{n}'] = float((revenue > {n}).mean())\nreport",
    ("merged.pivot_table(index='segment', columns='region', values='revenue',\n"
    "                   aggfunc='sum').round(0)"),
    ("thresholds['high'] = {hi}.0\n"
    "merged['band'] = pd.cut(merged['revenue'], [0, thresholds['low'], thresholds['high'], "
    "float('inf')],\n                      labels=['low', 'mid', 'high'])\n"
    "merged['band'].value_counts()"),
    "daily.loc['2023-{mm:02d}'].agg(['min', 'max', 'mean']).round(2)",
    "corr = np.corrcoef(matrix[:{rows}], rowvar=False).round(3)\ncorr[0]",
)

FAILING_CELL = (
    "summary_by_region = (\n"
    "    merged.groupby('region')\n"
    "    .agg(total_units=('units', 'sum'), mean_price=('price', 'mean'))\n"
    "    .sort_values('total_unit', ascending=False)\n"
    ")\nsummary_by_region"
)
FAILING_ERROR = "KeyError"

# The first question on a notebook (cold), then follow-ups on the same notebook (warm).
COLD_QUESTION = "Plot the monthly revenue as a line chart with a title."
WARM_QUESTIONS = (
    "Compute the mean price per product category and store it in mean_price_by_category.",
    "Count the orders per customer segment in merged and store it in orders_per_segment.",
    "Find the five days with the highest revenue in daily and store them in best_days.",
    "Compute the share of revenue per region and store it in region_share.",
    "Make a DataFrame with each customer's first order date and store it in first_orders.",
)
# A question whose answer is long: decode speed is measured on it.
DECODE_QUESTION = (
    "Write a function describe_frame(df) that returns a dict with the row count, the column "
    "names and the number of missing values per column. Include a docstring and comments."
)


def _analysis_cell(i: int) -> str:
    template = ANALYSIS_TEMPLATES[i % len(ANALYSIS_TEMPLATES)]
    return template.format(
        m7=i % 7 + 2, w=2 + i % 5, k=2 + i % 4, n=5 + i % 20, f=round(1 + i / 100, 2),
        hi=300 + 10 * (i % 15), mm=1 + i % 12, rows=50 + i % 150,
    )  # fmt: skip


def notebook_cells(n_cells: int) -> list[str]:
    """The first `n_cells` cells of the synthetic notebook (at least the setup cells)."""
    cells = list(SETUP_CELLS)
    i = 0
    while len(cells) < n_cells:
        cells.append(_analysis_cell(i))
        i += 1
    return cells[: max(n_cells, len(SETUP_CELLS))]


def many_variables_cells(n_variables: int = 1000, big_rows: int = 10_000_000) -> list[str]:
    """Cells that make `n_variables` variables, one a DataFrame of `big_rows` rows."""
    return [
        "import numpy as np\nimport pandas as pd",
        (f"big = pd.DataFrame({{'id': np.arange({big_rows}), 'x': np.zeros({big_rows}),\n"
        f"                    'cat': pd.Categorical(np.zeros({big_rows}, dtype=int)),\n"
        f"                    'when': pd.Timestamp('2024-01-01')}})"),
        ("g = globals()\n"
        f"for k in range({n_variables - 1}):\n"
        "    kind = k % 5\n"
        "    g[f'v{k}'] = (k if kind == 0 else f'text {k}' if kind == 1 else list(range(k % 50))\n"
        "                 if kind == 2 else np.arange(k % 100) if kind == 3\n"
        "                 else pd.DataFrame({'a': range(k % 20), 'b': 1.5}))\n"
        "del g, k, kind"),
    ]
