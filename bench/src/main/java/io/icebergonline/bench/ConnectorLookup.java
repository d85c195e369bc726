package io.icebergonline.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.LookupTableSource;
import org.apache.flink.table.connector.source.lookup.LookupFunctionProvider;
import org.apache.flink.table.connector.source.lookup.PartialCachingLookupProvider;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.LookupFunction;
import org.apache.flink.table.runtime.functions.table.lookup.CachingLookupFunction;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.utils.TypeConversions;
import org.apache.iceberg.Table;
import org.apache.iceberg.flink.FlinkSchemaUtil;

/**
 * The {@code 'connector' = 'iceberg-online'} lookup function, created the way Flink's planner
 * creates it (factory discovered by identifier, table source, lookup runtime provider; with
 * {@code 'lookup.cache' = 'PARTIAL'} wrapped in Flink's own {@link CachingLookupFunction}) and
 * called directly, one key at a time, so single lookups can be timed. The connector's metrics are
 * captured: how many lookups reached the table and how many data files they opened.
 */
final class ConnectorLookup implements AutoCloseable {
  private final LookupFunction function;
  private final CapturingMetricGroup metrics = new CapturingMetricGroup();

  private ConnectorLookup(LookupFunction function) throws Exception {
    this.function = function;
    function.open(new FunctionContext(null) {
      @Override
      public MetricGroup getMetricGroup() {
        return metrics;
      }
    });
  }

  /**
   * @param options the connector options (catalog, table, cache, refresh interval)
   * @param table the Iceberg table, whose columns are all declared, in order
   * @param keyColumn the lookup key
   */
  static ConnectorLookup open(Map<String, String> options, Table table, String keyColumn) throws Exception {
    List<Column> columns = new ArrayList<>();
    for (var field : FlinkSchemaUtil.convert(table.schema()).getFields()) {
      columns.add(Column.physical(field.getName(), TypeConversions.fromLogicalToDataType(field.getType())));
    }
    ResolvedSchema schema = ResolvedSchema.of(columns);
    ResolvedCatalogTable catalogTable = new ResolvedCatalogTable(
        CatalogTable.newBuilder().schema(Schema.newBuilder().fromResolvedSchema(schema).build()).options(options).build(),
        schema);
    ClassLoader classLoader = ConnectorLookup.class.getClassLoader();
    DynamicTableSourceFactory factory =
        FactoryUtil.discoverFactory(classLoader, DynamicTableSourceFactory.class, options.get("connector"));
    LookupTableSource source = (LookupTableSource) factory.createDynamicTableSource(new FactoryUtil.DefaultDynamicTableContext(
        ObjectIdentifier.of("bench", "bench", options.get("table")), catalogTable, Map.of(), new Configuration(),
        classLoader, true));
    int keyIndex = schema.getColumnNames().indexOf(keyColumn);
    LookupTableSource.LookupRuntimeProvider provider = source.getLookupRuntimeProvider(new KeyContext(keyIndex));
    if (provider instanceof PartialCachingLookupProvider cached) {
      return new ConnectorLookup(new CachingLookupFunction(cached.getCache(), cached.createLookupFunction()));
    }
    return new ConnectorLookup(((LookupFunctionProvider) provider).createLookupFunction());
  }

  /** The row of {@code key}, or null. */
  RowData lookup(long key) throws Exception {
    Collection<RowData> rows = function.lookup(GenericRowData.of(key));
    return rows == null || rows.isEmpty() ? null : rows.iterator().next();
  }

  /** Lookups that reached the table (cache misses), since open. */
  long tableLookups() {
    return metrics.counter("lookups").getCount();
  }

  /** Lookups the connector's live index answered, since open. */
  long indexLookups() {
    return metrics.counter("lookupsFromIndex").getCount();
  }

  /** The value of one of the connector's gauges (say {@code indexBytesPerRow}). */
  long gauge(String name) {
    return ((Number) metrics.gauges.get(name).getValue()).longValue();
  }

  /** Data files opened by those lookups, in total. */
  long filesOpened() {
    return metrics.histogramSum("filesOpenedPerLookup");
  }

  @Override
  public void close() throws Exception {
    function.close();
  }

  /** A lookup on one key column, as the planner describes an equality join on it. */
  private record KeyContext(int keyIndex) implements LookupTableSource.LookupContext {
    @Override
    public int[][] getKeys() {
      return new int[][] {{keyIndex}};
    }

    @Override
    public boolean preferCustomShuffle() {
      return false;
    }

    @Override
    public <T> TypeInformation<T> createTypeInformation(DataType producedDataType) {
      throw new UnsupportedOperationException("not needed by lookup sources");
    }

    @Override
    public <T> TypeInformation<T> createTypeInformation(LogicalType producedLogicalType) {
      throw new UnsupportedOperationException("not needed by lookup sources");
    }

    @Override
    public DynamicTableSource.DataStructureConverter createDataStructureConverter(DataType producedDataType) {
      throw new UnsupportedOperationException("not needed by lookup sources");
    }
  }

  /** A metric group that keeps the counters and histograms registered on it, flattening subgroups. */
  private static final class CapturingMetricGroup extends UnregisteredMetricsGroup {
    private final Map<String, Counter> counters = new HashMap<>();
    private final Map<String, SummingHistogram> histograms = new HashMap<>();
    private final Map<String, Gauge<?>> gauges = new HashMap<>();

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
      gauges.put(name, gauge);
      return gauge;
    }

    @Override
    public MetricGroup addGroup(String name) {
      return this;
    }

    @Override
    public Counter counter(String name) {
      return counters.computeIfAbsent(name, ignored -> new SimpleCounter());
    }

    @Override
    public <C extends Counter> C counter(String name, C counter) {
      counters.put(name, counter);
      return counter;
    }

    /** Hands back a summing wrapper in place of {@code histogram}: the connector holds it as a plain Histogram. */
    @Override
    @SuppressWarnings("unchecked")
    public <H extends Histogram> H histogram(String name, H histogram) {
      SummingHistogram summing = new SummingHistogram(histogram);
      histograms.put(name, summing);
      return (H) summing;
    }

    long histogramSum(String name) {
      SummingHistogram histogram = histograms.get(name);
      return histogram == null ? 0 : histogram.sum.sum();
    }
  }

  /** A histogram that also keeps the total of its values (Flink's keep only a window). */
  private static final class SummingHistogram implements Histogram {
    private final Histogram delegate;
    private final LongAdder sum = new LongAdder();

    SummingHistogram(Histogram delegate) {
      this.delegate = delegate;
    }

    @Override
    public void update(long value) {
      sum.add(value);
      delegate.update(value);
    }

    @Override
    public long getCount() {
      return delegate.getCount();
    }

    @Override
    public HistogramStatistics getStatistics() {
      return delegate.getStatistics();
    }
  }
}
