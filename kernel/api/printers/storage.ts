// Printers for persistent volumes, claims and storage classes.
import type { KubeObject } from '../../objects/types.js';
import { accessModes } from './format.js';
import { ageOf, nameOf } from './core.js';
import { ageColumn, col, nameColumn, type Printer } from './types.js';

/** Legacy annotation that still wins over spec.storageClassName. */
const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

interface VolumeSpecCommon {
  storageClassName?: string;
  volumeAttributesClassName?: string;
  volumeMode?: string;
}

interface PersistentVolumeLike extends KubeObject {
  spec?: VolumeSpecCommon & {
    capacity?: Record<string, string>;
    accessModes?: string[];
    persistentVolumeReclaimPolicy?: string;
    claimRef?: { namespace?: string; name?: string };
  };
  status?: { phase?: string; reason?: string };
}

interface PersistentVolumeClaimLike extends KubeObject {
  spec?: VolumeSpecCommon & { volumeName?: string };
  status?: { phase?: string; capacity?: Record<string, string>; accessModes?: string[] };
}

function storageClassOf(obj: KubeObject & { spec?: VolumeSpecCommon }): string {
  return obj.metadata.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] ?? obj.spec?.storageClassName ?? '';
}

/** A resource.Quantity cell: a missing quantity prints as `0`. */
function quantity(list: Record<string, string> | undefined, name: string): string {
  return list?.[name] ?? '0';
}

function phaseOf(obj: KubeObject & { status?: { phase?: string } }): string {
  return obj.metadata.deletionTimestamp ? 'Terminating' : (obj.status?.phase ?? '');
}

export const persistentVolumePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Capacity', 'string', 0, 'Storage capacity.'),
    col('Access Modes', 'string', 0, 'Access modes.'),
    col('Reclaim Policy', 'string', 0, 'What happens to the volume when its claim is released.'),
    col('Status', 'string', 0, 'Phase of the volume.'),
    col('Claim', 'string', 0, 'Bound claim.'),
    col('StorageClass', 'string', 0, 'StorageClass of the pv.'),
    col('VolumeAttributesClass', 'string', 0, 'VolumeAttributesClass of the pv.'),
    col('Reason', 'string', 0, 'Reason for the phase.'),
    ageColumn(),
    col('VolumeMode', 'string', 1, 'Filesystem or Block.'),
  ],
  cells(obj, now) {
    const pv = obj as PersistentVolumeLike;
    const spec = pv.spec ?? {};
    const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
    return [
      nameOf(pv),
      quantity(spec.capacity, 'storage'),
      accessModes(spec.accessModes),
      spec.persistentVolumeReclaimPolicy ?? '',
      phaseOf(pv),
      claim,
      storageClassOf(pv),
      spec.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '',
      ageOf(pv, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Status', 'string', 0, 'Phase of the claim.'),
    col('Volume', 'string', 0, 'Bound volume.'),
    col('Capacity', 'string', 0, 'Capacity of the bound volume.'),
    col('Access Modes', 'string', 0, 'Access modes of the bound volume.'),
    col('StorageClass', 'string', 0, 'StorageClass of the pvc.'),
    col('VolumeAttributesClass', 'string', 0, 'VolumeAttributesClass of the pvc.'),
    ageColumn(),
    col('VolumeMode', 'string', 1, 'Filesystem or Block.'),
  ],
  cells(obj, now) {
    const pvc = obj as PersistentVolumeClaimLike;
    const spec = pvc.spec ?? {};
    // Capacity and modes are those of the bound volume: empty until the claim is bound.
    const bound = Boolean(spec.volumeName);
    return [
      nameOf(pvc),
      phaseOf(pvc),
      spec.volumeName ?? '',
      bound ? quantity(pvc.status?.capacity, 'storage') : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      storageClassOf(pvc),
      spec.volumeAttributesClassName ?? '<unset>',
      ageOf(pvc, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

interface StorageClassLike extends KubeObject {
  provisioner?: string;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
}

export const storageClassPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Provisioner', 'string', 0, 'Volume plugin that provisions volumes of this class.'),
    col('ReclaimPolicy', 'string', 0, 'Reclaim policy of provisioned volumes.'),
    col('VolumeBindingMode', 'string', 0, 'When volumes are bound.'),
    col('AllowVolumeExpansion', 'string', 0, 'Whether volumes may be expanded.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const sc = obj as StorageClassLike;
    const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => sc.metadata.annotations?.[a] === 'true');
    return [
      isDefault ? `${nameOf(sc)} (default)` : nameOf(sc),
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      sc.allowVolumeExpansion ?? false,
      ageOf(sc, now),
    ];
  },
};
