#!/usr/bin/env bash
# Deploy one tenant's environment: scripts/deploy.sh TENANT [--what-if] [--resource-group RG] [--location LOC]
#   TENANT is the name of infra/tenants/TENANT.bicepparam. Needs the Azure CLI, logged in (az login).
# After the first deployment, put the tenant's de-identification key in Key Vault (the template never holds it):
#   az keyvault secret set --vault-name <keyVaultName output> --name deid-key --value "$(openssl rand -hex 32)"
set -euo pipefail
tenant="${1:?usage: scripts/deploy.sh TENANT [--what-if] [--resource-group RG] [--location LOC]}"; shift
repo="$(cd "$(dirname "$0")/.." && pwd)"
params="$repo/infra/tenants/$tenant.bicepparam"
[ -f "$params" ] || { echo "deploy: no parameter file $params" >&2; exit 2; }
what_if=0; rg="rg-serverlessmed-$tenant"; location="westeurope"
while [ $# -gt 0 ]; do
  case "$1" in
    --what-if) what_if=1 ;;
    --resource-group) rg="$2"; shift ;;
    --location) location="$2"; shift ;;
    *) echo "deploy: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
command -v az >/dev/null || { echo "deploy: the Azure CLI (az) is not installed" >&2; exit 2; }
az group create --name "$rg" --location "$location" --tags product=ServerlessMed tenant="$tenant" >/dev/null
if [ $what_if -eq 1 ]; then
  exec az deployment group what-if --resource-group "$rg" --template-file "$repo/infra/main.bicep" --parameters "$params"
fi
exec az deployment group create --resource-group "$rg" --name "serverlessmed-$tenant" --template-file "$repo/infra/main.bicep" --parameters "$params"
