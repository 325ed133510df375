/** The TypeChain factory of each deployable, by its name in the deployment manifest: one list for the whole code base. */
import {
  AccessManager__factory,
  ConsentRegistry__factory,
  Consortium__factory,
  DatasetRegistry__factory,
  IncidentRegistry__factory,
  ModelRegistry__factory,
  TraceAnchor__factory,
} from "../../typechain-types";

export const FACTORIES = {
  manager: AccessManager__factory,
  consortium: Consortium__factory,
  consents: ConsentRegistry__factory,
  datasets: DatasetRegistry__factory,
  models: ModelRegistry__factory,
  traces: TraceAnchor__factory,
  incidents: IncidentRegistry__factory,
} as const;
