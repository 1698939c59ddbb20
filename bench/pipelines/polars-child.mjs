/**
 * The Polars side of bench/pipelines.ts: each workload written with Polars' lazy API
 * (nodejs-polars), in a fresh process. Plain JavaScript, like duckdb-child.mjs. nodejs-polars is
 * not a dependency of the project: bench/pipelines.ts installs it into a cache folder and passes
 * its path.
 *
 *   node bench/pipelines/polars-child.mjs <job.json>
 *
 * job.json: { "polars": "<path of nodejs-polars>", "workload": "a", "data": "<dataset dir>",
 *             "out": "<output dir>", "show": 20 }
 *
 * Each plan computes what the workload's pipeline in this folder computes, with the same output
 * columns; outputs are parquet with snappy compression, as the pipelines write them.
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const pl = createRequire(import.meta.url)(job.polars);
const PARQUET = { compression: 'snappy' };
const col = pl.col;
const int64 = (name) => col(name).cast(pl.Int64);
const amount = () => int64('quantity').mul(int64('unit_price_cents'));
const orders = () => pl.scanParquet(path.join(job.data, 'orders.parquet'));
const customers = () => pl.scanParquet(path.join(job.data, 'customers.parquet'));
const sink = (lf, file) => lf.sinkParquet(path.join(job.out, file), PARQUET).collect();

const plans = {
  /** Nothing to do: the cost of starting the process and loading Polars. */
  0: () => {},
  /** CSV → filter, group by day and category → parquet. */
  a: () =>
    sink(
      pl.scanCSV(path.join(job.data, 'orders.csv'), { hasHeader: true, sep: ',', parseDates: true })
        .filter(col('status').neq(pl.lit('cancelled')).and(col('quantity').gt(1)))
        .groupBy(['day', 'category'])
        .agg(pl.len().alias('orders'), int64('quantity').sum().alias('quantity'), amount().sum().alias('revenue_cents')),
      'daily_category.parquet',
    ),
  /** parquet → group by customer with distinct counts → parquet. */
  b: () =>
    sink(
      orders()
        .groupBy('customer_id')
        .agg(
          pl.len().alias('orders'),
          col('product_id').nUnique().alias('products'),
          col('day').nUnique().alias('active_days'),
          amount().sum().alias('revenue_cents'),
        ),
      'customer_activity.parquet',
    ),
  /** parquet ⋈ dimension → group → one directory per region (hive style, the region not in the files). */
  c: async () => {
    const result = await orders()
      .filter(col('status').neq(pl.lit('cancelled')))
      .join(customers(), { on: 'customer_id', how: 'inner' })
      .groupBy(['region', 'segment', 'day'])
      .agg(pl.len().alias('orders'), int64('quantity').sum().alias('quantity'), amount().sum().alias('revenue_cents'))
      .collect();
    for (const part of result.partitionBy('region', false, true)) {
      const region = part.getColumn('region').get(0);
      const dir = path.join(job.out, 'region_daily', `region=${region}`);
      mkdirSync(dir, { recursive: true });
      part.drop('region').writeParquet(path.join(dir, 'data_0.parquet'), PARQUET);
    }
  },
  /** A shared intermediate result read by two aggregations, combined at the end. */
  d: () => {
    const dailyCustomer = orders()
      .filter(col('status').neq(pl.lit('cancelled')))
      .groupBy(['customer_id', 'day'])
      .agg(pl.len().alias('orders'), amount().sum().alias('revenue_cents'));
    const customerTotals = dailyCustomer.groupBy('customer_id').agg(pl.len().alias('active_days'), col('revenue_cents').sum().alias('revenue_cents'));
    const dayTotals = dailyCustomer.groupBy('day').agg(pl.len().alias('buyers'), col('orders').sum().alias('orders'), col('revenue_cents').sum().alias('revenue_cents'));
    const summary = customerTotals.select(pl.len().alias('customers'), col('revenue_cents').max().alias('top_customer_cents'));
    return sink(dayTotals.join(summary, { how: 'cross' }), 'day_report.parquet');
  },
  /** A result printed (its first rows) and written. */
  e: async () => {
    const top = await orders()
      .filter(col('status').eq(pl.lit('shipped')))
      .groupBy('customer_id')
      .agg(
        pl.len().alias('orders'),
        int64('quantity').sum().alias('quantity'),
        amount().sum().alias('revenue_cents'),
        col('day').min().alias('first_day'),
        col('day').max().alias('last_day'),
      )
      .sort({ by: ['revenue_cents', 'customer_id'], descending: [true, false] })
      .collect();
    process.stdout.write(`${top.head(job.show).toString()}\n`);
    top.writeParquet(path.join(job.out, 'top_customers.parquet'), PARQUET);
  },
};

const plan = plans[job.workload];
if (!plan) throw new Error(`no Polars plan for workload "${job.workload}"`);
await plan();
