package io.icebergonline.lookup;

import java.util.Optional;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.LookupTableSource;
import org.apache.flink.table.connector.source.ScanTableSource;
import org.apache.flink.table.connector.source.abilities.SupportsLookupCustomShuffle;
import org.apache.flink.table.connector.source.abilities.SupportsProjectionPushDown;
import org.apache.flink.table.types.DataType;
import org.apache.iceberg.flink.source.IcebergTableSource;

/**
 * One online table for both uses: a lookup join goes through {@link IcebergOnlineTableSource}, a
 * plain query is a bounded scan of the table's current snapshot by Iceberg's own Flink source
 * (which applies every delete, so it returns the live rows; it does not apply the row age limit
 * that lookups apply).
 */
final class OnlineTableSource
    implements LookupTableSource, ScanTableSource, SupportsProjectionPushDown, SupportsLookupCustomShuffle {
  private final IcebergOnlineTableSource lookup;
  private final IcebergTableSource scan;

  OnlineTableSource(IcebergOnlineTableSource lookup, IcebergTableSource scan) {
    this.lookup = lookup;
    this.scan = scan;
  }

  @Override
  public LookupRuntimeProvider getLookupRuntimeProvider(LookupContext context) {
    return lookup.getLookupRuntimeProvider(context);
  }

  @Override
  public Optional<InputDataPartitioner> getPartitioner() {
    return lookup.getPartitioner();
  }

  @Override
  public ChangelogMode getChangelogMode() {
    return scan.getChangelogMode();
  }

  @Override
  public ScanRuntimeProvider getScanRuntimeProvider(ScanContext context) {
    return scan.getScanRuntimeProvider(context);
  }

  @Override
  public boolean supportsNestedProjection() {
    return false;
  }

  @Override
  public void applyProjection(int[][] projectedFields, DataType producedDataType) {
    lookup.applyProjection(projectedFields, producedDataType);
    scan.applyProjection(projectedFields, producedDataType);
  }

  @Override
  public DynamicTableSource copy() {
    return new OnlineTableSource((IcebergOnlineTableSource) lookup.copy(), (IcebergTableSource) scan.copy());
  }

  @Override
  public String asSummaryString() {
    return lookup.asSummaryString();
  }
}
