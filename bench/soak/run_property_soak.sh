#!/usr/bin/env bash
# Property soak (issue 12): N random requests (default 1,000,000) through
# validation and the engine over the real rules; 0 crashes and 0 CLEAR
# answers to invalid requests or to what the rules do not cover.
# Usage: bench/soak/run_property_soak.sh [BUILD_DIR] (ES_PROPERTY_SEED to repeat)
set -euo pipefail
BUILD=${1:-build}
ES_PROPERTY_N=${ES_PROPERTY_N:-1000000} "$BUILD/tests/api/screening_property_test"
