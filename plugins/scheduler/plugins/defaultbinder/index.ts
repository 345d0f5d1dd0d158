// DefaultBinder (Bind): writes the pods/binding subresource through the handle.
import type { BindPlugin, CycleState, Handle, PluginFactory, PodInfo, Status } from '../../framework/interfaces.js';
import { SUCCESS, errorStatus } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { noArgs } from '../shared/fielderrors.js';

export class DefaultBinder implements BindPlugin {
  readonly name = Names.DefaultBinder;
  constructor(private readonly handle: Pick<Handle, 'bind'>) {}

  async bind(_state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    try {
      await this.handle.bind(pod.pod, nodeName);
      return SUCCESS;
    } catch (e) {
      return errorStatus(e as Error);
    }
  }
}

export const defaultBinderFactory: PluginFactory<void> = {
  name: Names.DefaultBinder,
  validate: (args) => noArgs(Names.DefaultBinder, args),
  create: (_args, handle) => new DefaultBinder(handle),
};
