/** Builds a pipeline and forgets to execute it. */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromData(1, 2, 3).print();
