/** main() itself throws before any execute(). */
import { StreamExecutionEnvironment } from 'weir';

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromData(1).print();
throw new Error('configuration file missing: settings.json');
