// The generation queue: Entra ID only (local auth off), TLS 1.2, peek-lock with a bounded delivery count; requests
// that keep failing, and expired ones, go to the queue's own dead-letter sub-queue (generation/$deadletterqueue),
// which the worker's receiver role covers.
import { roles } from 'roles.bicep'

param namespaceName string
param location string
param tags object
param functionsIdentityName string
@description('Empty when the tenant has no GPU worker.')
param workerIdentityName string
param maxDeliveryCount int
param lockDuration string

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: functionsIdentityName
}

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = if (!empty(workerIdentityName)) {
  name: workerIdentityName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: namespaceName
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: namespace
  name: 'generation'
  properties: {
    lockDuration: lockDuration
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P7D'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    enablePartitioning: false
  }
}

resource functionsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, functionsIdentity.id, roles.serviceBusDataSender)
  scope: queue
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
  }
}

resource workerReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(workerIdentityName)) {
  name: guid(queue.id, workerIdentity.id, roles.serviceBusDataReceiver)
  scope: queue
  properties: {
    principalId: workerIdentity!.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

output namespaceName string = namespace.name
output endpoint string = namespace.properties.serviceBusEndpoint
// The fully qualified namespace the SDK connects to (ServiceBus__fullyQualifiedNamespace).
output host string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
