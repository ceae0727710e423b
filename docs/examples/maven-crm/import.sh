#!/bin/sh
# Import the Maven Analytics CRM sample into an empty Voronka installation.
# Run from the project root with the virtualenv on PATH and VORONKA_DATA_DIR set:
#   docs/examples/maven-crm/import.sh [DATA_FOLDER]     (default ../shared/datasets/maven-crm)
set -eu
DATA="${1:-../shared/datasets/maven-crm}"
HERE="$(dirname "$0")"
AS="${VORONKA_IMPORT_AS:-admin}"
for f in sales_teams.csv products.csv accounts.csv sales_pipeline.csv; do
  [ -f "$DATA/$f" ] || { echo "import.sh: $DATA/$f not found" >&2; exit 2; }
done
voronka migrate
# The imports act as an administrator ($AS, created if missing); accounts get him as responsible manager.
if ! voronka manage shell -c "import sys; from voronka.accounts.models import User; sys.exit(0 if User.objects.filter(username='$AS').exists() else 1)"; then
  voronka createadmin --username "$AS"
fi
voronka import users "$DATA/sales_teams.csv" --mapping "$HERE/users.yaml" --as "$AS"
voronka import products "$DATA/products.csv" --mapping "$HERE/products.yaml" --as "$AS"
voronka import clients "$DATA/accounts.csv" --mapping "$HERE/accounts.yaml" --as "$AS"
voronka import deals "$DATA/sales_pipeline.csv" --mapping "$HERE/opportunities.yaml" --as "$AS"
