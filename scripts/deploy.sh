#!/usr/bin/env bash
# Deploy one tenant's environment and its ingest app:
#   scripts/deploy.sh TENANT [--what-if] [--resource-group RG] [--location LOC]
# TENANT is the name of infra/tenants/TENANT.bicepparam. Needs the Azure CLI, logged in (az login), and the .NET SDK
# (the Functions package is built here with scripts/package-functions.sh).
#   1. az deployment group create: the environment (infra/main.bicep with the tenant's parameters);
#   2. the ingest app's zip (scripts/package-functions.sh) deployed to the Flex Consumption app (One Deploy, into
#      the app's deployment container with its identity).
# Once, after the first deployment (the template never holds either):
#   - the tenant's de-identification key in Key Vault:
#       az keyvault secret set --vault-name <keyVaultName output> --name deid-key --value "$(openssl rand -hex 32)"
#   - the models, as folders of the tenant's models container named by encoderModelId / diffusionModelId:
#       az storage blob upload-batch --auth-mode login --account-name <storageAccountName output> -d models/<id> -s <folder>
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
app=$(az deployment group create --resource-group "$rg" --name "serverlessmed-$tenant" --template-file "$repo/infra/main.bicep" \
  --parameters "$params" --query properties.outputs.functionsAppName.value --output tsv)
package=$("$repo/scripts/package-functions.sh" "$repo/out/functions")
az functionapp deployment source config-zip --resource-group "$rg" --name "$app" --src "$package"
echo "deploy: $tenant deployed to $rg (Functions app $app)"
