"""Tests of list review (名单审核)."""
