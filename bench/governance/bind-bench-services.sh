#!/usr/bin/env bash
# Binds the benchmark city's synthetic services (layer services-synthetic) to the service
# roles next to the fixtures' layers, as a city admin would after loading them. Usage:
# bind-bench-services.sh QALA_BINARY (DATABASE_URL set).
set -euo pipefail
Q=${1:?qala binary}
bind() { "$Q" --quiet indicators bind "$@" --note "benchmark city" --by bench >/dev/null; }
bind bus_stops services transit-stops services-synthetic --where category=bus_stop,brt_stop
bind metro_stations services transit-stops services-synthetic --where category=metro_station
bind schools services services-synthetic --where category=school
bind kindergartens services services-synthetic --where category=kindergarten
bind clinics services services-synthetic --where category=clinic,hospital
