"""Stage 4: revisits and 跃迁 detection, drift, subsidy ledger and the 成效监测表 KPI report."""
